export { stackEndpoints, stackWorkDir, stackComponentPid, stackUp, type StackEndpoints } from './local-stack';
export { waitFor } from './wait-for';
