// Worker entry: the simulator (the deterministic FT world, off the page's thread). Expose its API over comlink; nothing else lives here.
import * as Comlink from 'comlink';
import { SimWorkerApi } from './simWorkerApi';

// Off the page's thread a slice may be longer: 20 ms of simulation, then a breath for the page's frame requests
// (a timer: at least 4 ms once nested, so a flood still gets five sixths of this thread).
Comlink.expose(new SimWorkerApi({ sliceMs: 20, idleMs: 2 }));
