export { nextCSeq } from './clean';
