/**
 * Loaded with `--import` into a command-line child: sends the process its own signal the moment
 * its standard output shows a given text, as an operator pressing Ctrl+C the instant a banner
 * appears would. The signal arrives before any code after that write runs, so a CLI that installs
 * its handlers after printing its banner dies by the signal instead of stopping cleanly.
 *
 *   SIGNAL_ON_OUTPUT  the text to wait for
 *   SIGNAL_NAME       the signal to send (default SIGINT)
 */
const text = process.env.SIGNAL_ON_OUTPUT;
const signal = (process.env.SIGNAL_NAME ?? 'SIGINT') as NodeJS.Signals;

if (text) {
  let seen = '';
  let sent = false;
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((...args: unknown[]): boolean => {
    const written = write(...args);
    if (!sent) {
      seen += String(args[0]);
      if (seen.includes(text)) {
        sent = true;
        process.kill(process.pid, signal);
      }
    }
    return written;
  }) as typeof process.stdout.write;
}
