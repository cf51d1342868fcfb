// Worker entry: one VM. Expose its control API over comlink; nothing else lives here.
import * as Comlink from 'comlink';
import { VmWorkerApi } from './vmWorkerApi';

Comlink.expose(new VmWorkerApi());
