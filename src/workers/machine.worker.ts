// Worker entry: expose the machine API over comlink. Nothing else lives here.
import * as Comlink from 'comlink';
import { MachineWorkerApi } from './machineWorkerApi';

Comlink.expose(new MachineWorkerApi());
