import { createConnection } from 'node:net';

export const dial = (port: number) => createConnection(port, '127.0.0.1');
