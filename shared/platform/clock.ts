/**
 * The one clock of the use cases: injected as `now` where time must be steered (tests, the chaos
 * suite's runtime clock), the system's otherwise.
 */
export type Clock = () => Date;

/** The current instant by the ports' clock. */
export function clock(ports: { readonly now?: Clock | undefined }): Date {
  return ports.now?.() ?? new Date();
}
