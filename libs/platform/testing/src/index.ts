export { stackEndpoints, stackWorkDir, stackComponentPid, stackUp, type StackEndpoints } from './local-stack';
export { waitFor } from './wait-for';
export { runSipp, type SippOptions, type SippResult } from './sipp';
export { freePort } from './free-port';
