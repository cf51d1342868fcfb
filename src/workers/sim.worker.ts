// Worker entry: the simulator (the deterministic FT world, off the page's thread). Expose its API over comlink; nothing else lives here.
import * as Comlink from 'comlink';
import { SimWorkerApi } from './simWorkerApi';

// Off the page's thread a slice may be longer: 12 ms of simulation, then a breath for the page's frame requests.
Comlink.expose(new SimWorkerApi({ sliceMs: 12, idleMs: 2 }));
