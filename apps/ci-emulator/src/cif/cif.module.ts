import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { CifController } from './cif.controller';
import { loopbackUrl } from './cif-rules';
import { CifStore } from './cif-store';

/**
 * The Channel Integration Framework 1.0 double: GET /emulator/cif (host page),
 * GET /webresources/Widget/msdyn_ciLibrary.js (the library, where an org serves
 * it), /emulator/cif/calls (every call a page made) and /emulator/cif/settings
 * (faults). See docs/ci-emulator.md.
 */
@Module({
  controllers: [CifController],
  providers: [CifStore],
  exports: [CifStore],
})
export class CifModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // A widget served from another loopback origin (as in production, where the
    // widget's domain is not the org's) loads the library cross-origin and the
    // library records its calls here: allow loopback origins only.
    consumer.apply(loopbackCors).forRoutes('emulator/cif/calls', 'emulator/cif/calls/*path', 'emulator/cif/settings');
  }
}

export function loopbackCors(req: Request, res: Response, next: NextFunction): void {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && loopbackUrl(origin).ok) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
      res.setHeader('Access-Control-Allow-Headers', 'content-type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
  }
  next();
}
