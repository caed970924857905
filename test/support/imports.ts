/**
 * The import graph of the production code (`shared/`, `functions/`), read from the sources:
 * every `import`/`export … from` (type-only ones too: a type cycle is still two modules that
 * cannot be read apart), resolved through package.json's subpath imports and relative paths.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const subpaths = Object.entries((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { imports: Record<string, string> }).imports);

export interface ModuleImports {
  /** Repository-relative path, e.g. `shared/sync/order-sync.ts` */
  readonly file: string;
  /** Modules of the repository it imports (repository-relative paths) */
  readonly local: readonly string[];
  /** Packages it imports, e.g. `@aws-sdk/client-sqs`, `node:crypto` */
  readonly packages: readonly string[];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...filesUnder(path));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

function resolveSpecifier(from: string, spec: string): string | null {
  if (spec.startsWith('.')) return relative(root, resolve(root, dirname(from), spec));
  for (const [pattern, target] of subpaths) {
    const prefix = pattern.slice(0, -1);
    if (pattern.endsWith('*') && spec.startsWith(prefix)) return relative(root, resolve(root, target.replace('*', spec.slice(prefix.length))));
  }
  return null;
}

const SPECIFIER = /^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** The imports of every module under `dirs` (default: the production code). */
export function importGraph(dirs: readonly string[] = ['shared', 'functions']): ModuleImports[] {
  return dirs.flatMap(filesUnder).map((file) => {
    const source = readFileSync(join(root, file), 'utf8');
    const local: string[] = [];
    const packages: string[] = [];
    for (const match of source.matchAll(SPECIFIER)) {
      const spec = (match[1] ?? match[2])!;
      const target = resolveSpecifier(file, spec);
      if (target) local.push(target);
      else packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
    return { file, local, packages };
  });
}

/** Every cycle of the graph, each as the modules on it (Tarjan's strongly connected components). */
export function importCycles(graph: readonly ModuleImports[]): string[][] {
  const edges = new Map(graph.map((m) => [m.file, m.local]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
