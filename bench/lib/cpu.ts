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

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return null;
  }
}

export interface CpuUse {
  /** This process, % of one core over the wall time */
  readonly selfPercent: number;
  /** The other process watched (DynamoDB Local), % of one core */
  readonly otherPercent: number | null;
  /** Everything else on the machine (other people's work skews wall times), % of one core */
  readonly restPercent: number | null;
}

/** A stopwatch of CPU: this process, optionally another by pid, and the rest of the machine. */
export function cpuMeter(otherPid?: number): { stop(wallMs: number): CpuUse } {
  const self0 = process.cpuUsage();
  const other0 = processCpuSeconds(otherPid);
  const machine0 = machineBusySeconds();
  return {
    stop(wallMs: number) {
      const self = process.cpuUsage(self0);
      const selfSeconds = (self.user + self.system) / 1e6;
      const other1 = processCpuSeconds(otherPid);
      const otherSeconds = other0 !== null && other1 !== null ? other1 - other0 : null;
      const machine1 = machineBusySeconds();
      const restSeconds = machine0 !== null && machine1 !== null ? Math.max(0, machine1 - machine0 - selfSeconds - (otherSeconds ?? 0)) : null;
      const pct = (s: number) => Math.round((s / (wallMs / 1000)) * 100);
      return { selfPercent: pct(selfSeconds), otherPercent: otherSeconds === null ? null : pct(otherSeconds), restPercent: restSeconds === null ? null : pct(restSeconds) };
    },
  };
}
