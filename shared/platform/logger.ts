/**
 * The one logger interface of the use cases and clients: the subset of Powertools' Logger they
 * call (the functions pass the shared Powertools instance, tests a recorder or nothing).
 */
export interface Logger {
  debug(message: string, extra: Record<string, unknown>): void;
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The ports' logger, or one that drops everything. */
export function log(ports: { readonly logger?: Logger | undefined }): Logger {
  return ports.logger ?? silentLogger;
}
