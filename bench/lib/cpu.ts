/**
 * CPU time of this process and of a child process (DynamoDB Local's JVM), to tell a benchmark
 * bound by the machine from one bound by the latency it waits on. Linux `/proc` for the child;
 * elsewhere its figure is null.
 */
import { readFileSync } from 'node:fs';

/** User + system CPU seconds of a process by id, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (!pid || process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / 100 : null;
  } catch {
    return null;
  }
}

/** A stopwatch of CPU: this process, and optionally another by pid. */
export function cpuMeter(otherPid?: number): { stop(wallMs: number): { selfPercent: number; otherPercent: number | null; selfSeconds: number; otherSeconds: number | null } } {
  const self0 = process.cpuUsage();
  const other0 = processCpuSeconds(otherPid);
  return {
    stop(wallMs: number) {
      const self = process.cpuUsage(self0);
      const selfSeconds = (self.user + self.system) / 1e6;
      const other1 = processCpuSeconds(otherPid);
      const otherSeconds = other0 !== null && other1 !== null ? other1 - other0 : null;
      const pct = (s: number) => Math.round((s / (wallMs / 1000)) * 100);
      return { selfPercent: pct(selfSeconds), otherPercent: otherSeconds === null ? null : pct(otherSeconds), selfSeconds, otherSeconds };
    },
  };
}
