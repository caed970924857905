/**
 * The AWS adapters (`shared/store`, `shared/aws`) and the IAM actions each declares it performs
 * (`IAM_ACTIONS`), read by the IAM coverage test and the layout test.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');

export interface Adapter {
  /** Repository-relative path, e.g. `shared/store/bindings.ts` */
  readonly file: string;
  readonly actions: readonly string[];
}

/** Every module of the adapter folders, with the actions it declares (none: not an adapter). */
export async function adapterModules(): Promise<Adapter[]> {
  const files = ['shared/store', 'shared/aws'].flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`));
  return Promise.all(
    files.sort().map(async (file) => {
      const module = (await import(pathToFileURL(join(root, file)).href)) as { IAM_ACTIONS?: readonly string[] };
      return { file, actions: module.IAM_ACTIONS ?? [] };
    }),
  );
}

/** The table of adapters and their actions as docs/deploy.md shows it. */
export function adapterTable(adapters: readonly Adapter[]): string {
  const rows = adapters.filter((a) => a.actions.length).map((a) => `| \`${a.file}\` | ${[...a.actions].sort().join(', ')} |`);
  return ['| adapter | IAM actions |', '|---|---|', ...rows].join('\n');
}
