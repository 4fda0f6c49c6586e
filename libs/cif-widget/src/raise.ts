import { CifRaiser, type RaiserOptions } from './raiser';
import { WIDGET_CALL_ENDED, WIDGET_CALL_STARTED, type CallEndedInput, type CallStartedInput } from './types';
import { toCallEnded, toCallStarted } from './validate';

/** raiseCallStarted / raiseCallEnded bound to one configuration. */
export interface CallEventRaiser {
  /**
   * Raises `WIDGET_CALL_STARTED` with exactly the seed's CallStartedEvent. Resolves true
   * once CIF accepted it, false when this call's started event was already raised on
   * this page (it is raised once). Rejects with a CifWidgetError: 'invalid-input'
   * naming every bad field, or 'cif-raise-failed' after the retries.
   */
  raiseCallStarted(event: CallStartedInput): Promise<boolean>;
  /**
   * Raises `WIDGET_CALL_ENDED` with exactly the seed's CallEndedEvent
   * (`callDurationInSeconds` required: 0 for a call that never connected). Resolves
   * false without calling CIF when this call's ended event was already raised: a
   * second `onCallEnded` from the dialer is harmless.
   */
  raiseCallEnded(event: CallEndedInput): Promise<boolean>;
}

/** A raiser with its own options (a CIFramework object, retries, storage); shares the page's once-per-call memory for the same storage. */
export function createRaiser(options: RaiserOptions = {}): CallEventRaiser {
  const raiser = new CifRaiser(options);
  return {
    raiseCallStarted: async (event) => (await raiser.raise(WIDGET_CALL_STARTED, toCallStarted(event, true))) === 'raised',
    raiseCallEnded: async (event) => (await raiser.raise(WIDGET_CALL_ENDED, toCallEnded(event, true))) === 'raised',
  };
}

let pageRaiser: CallEventRaiser | undefined;
const page = (): CallEventRaiser => (pageRaiser ??= createRaiser());

/** `raiseCallStarted` of the page: Microsoft.CIFramework, default retries, sessionStorage. See CallEventRaiser. */
export function raiseCallStarted(event: CallStartedInput): Promise<boolean> {
  return page().raiseCallStarted(event);
}

/** `raiseCallEnded` of the page: Microsoft.CIFramework, default retries, sessionStorage. See CallEventRaiser. */
export function raiseCallEnded(event: CallEndedInput): Promise<boolean> {
  return page().raiseCallEnded(event);
}
