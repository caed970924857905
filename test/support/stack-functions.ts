/**
 * What the stack gives each function, read from the synthesised service template (bundling
 * skipped): its environment variables, timeout and memory. A variable that references a
 * resource of the data stack (an `Fn::ImportValue` of the table, a queue or the bus) is resolved
 * through the data stack's exports to which resource it is, so a test can put the local one in
 * its place; a reference to anything else fails, naming the variable.
 */
import { FUNCTION_NAMES, type FunctionName } from '../../infra/bundling.ts';
import { buildForTest, logicalId } from '../infra/support.ts';

export type LocalResource = 'table' | 'runQueue' | 'orderQueue' | 'bus';

export interface StackFunction {
  readonly name: FunctionName;
  /** Literal values, or the data-stack resource a variable names */
  readonly variables: Readonly<Record<string, string | { readonly resource: LocalResource }>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export function stackFunctions(): Record<FunctionName, StackFunction> {
  const built = buildForTest();
  const service = built.serviceTemplate.toJSON() as { Resources: Record<string, { Properties: any }> };
  const data = built.dataTemplate.toJSON() as { Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }> };
  const resources = new Map<string, LocalResource>([
    [logicalId(built.data.table.table), 'table'],
    [logicalId(built.data.queues.runs.queue), 'runQueue'],
    [logicalId(built.data.queues.orders.queue), 'orderQueue'],
    [logicalId(built.data.events.bus), 'bus'],
  ]);
  const exported = new Map<string, unknown>();
  for (const output of Object.values(data.Outputs ?? {})) if (output.Export) exported.set(output.Export.Name, output.Value);

  const resolve = (name: FunctionName, variable: string, value: unknown): string | { resource: LocalResource } => {
    if (typeof value === 'string') return value;
    const importName = (value as { 'Fn::ImportValue'?: unknown })?.['Fn::ImportValue'];
    const target = typeof importName === 'string' ? (exported.get(importName) as { Ref?: string } | undefined) : undefined;
    const resource = target?.Ref ? resources.get(target.Ref) : undefined;
    if (!resource) throw new Error(`${name}: ${variable} = ${JSON.stringify(value)} references nothing the local runtime provides`);
    return { resource };
  };

  const out = {} as Record<FunctionName, StackFunction>;
  for (const name of FUNCTION_NAMES) {
    const fn = built.service.functions[name].function;
    const props = service.Resources[logicalId(fn)]!.Properties;
    const variables: Record<string, string | { resource: LocalResource }> = {};
    for (const [variable, value] of Object.entries((props.Environment?.Variables ?? {}) as Record<string, unknown>)) variables[variable] = resolve(name, variable, value);
    out[name] = { name, variables, timeoutSeconds: Number(props.Timeout), memoryMb: Number(props.MemorySize) };
  }
  return out;
}

/** A function's environment with the data stack's resources replaced by local ones. */
export function localEnvironment(fn: StackFunction, locals: Readonly<Record<LocalResource, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [variable, value] of Object.entries(fn.variables)) env[variable] = typeof value === 'string' ? value : locals[value.resource];
  return env;
}
