/** Nest injection tokens shared by every module of the emulator. */
export const EMULATOR_CONFIG = Symbol('EmulatorConfig');
/** The app's pino logger (modules make children of it). */
export const EMULATOR_LOGGER = Symbol('EmulatorLogger');
