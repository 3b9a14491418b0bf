import { builtinModules } from 'node:module';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One module specifier a source file loads, and whether only types come from it (erased at compile time). */
export interface ModuleImport {
  specifier: string;
  typeOnly: boolean;
}

/**
 * Every module a file loads: import/export-from declarations, `import x = require()`, `require()`,
 * `import()` and `import('x').T` types. Parsed with the compiler rather than a regular expression,
 * so a string that happens to follow `from` in code is not taken for an import.
 */
export function moduleImports(fileName: string, source: string): ModuleImport[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: ModuleImport[] = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean) => {
    if (node && ts.isStringLiteralLike(node)) found.push({ specifier: node.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const namedAllTypes =
        clause?.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((element) => element.isTypeOnly);
      add(node.moduleSpecifier, clause !== undefined && (clause.isTypeOnly || (namedAllTypes && clause.name === undefined)));
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      // `declare module 'x' { … }` describes a module; it does not load one.
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const builtins = new Set(builtinModules);

/** The package a bare specifier names (`@scope/name` or `name`); undefined for relative paths and Node built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtins.has(name) ? undefined : name;
}

/** The path inside the package a specifier reaches into (`dist/x` for `pkg/dist/x`), or '' for the package itself. */
export function subpathOf(specifier: string): string {
  const name = packageOf(specifier);
  return name === undefined ? '' : specifier.slice(name.length + 1);
}

export interface Workspace {
  /** Folder relative to the repository root, e.g. `packages/auth`. */
  folder: string;
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The workspaces the root package.json lists (globs of one trailing `*` only, which is all it uses). */
export function workspaces(root: string): Workspace[] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const folders = manifest.workspaces.flatMap((pattern) =>
    pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern],
  );
  return folders
    .filter((folder) => existsSync(join(root, folder, 'package.json')))
    .map((folder) => {
      const pkg = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as Partial<Workspace>;
      return { folder, name: pkg.name!, dependencies: pkg.dependencies ?? {}, devDependencies: pkg.devDependencies ?? {} };
    });
}

/** TypeScript and JavaScript files under `folder`, without build output or installed modules. */
export function codeFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('dist-')) continue;
      const path = join(dir, entry);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) continue;
      if (stat.isDirectory()) walk(path);
      else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(folder);
  return out;
}

export interface FileImport extends ModuleImport {
  /** The importing file, relative to the repository root. */
  file: string;
  /** Whether the file ships (under the workspace's src/) or is only for tests, scripts and tooling. */
  shipped: boolean;
}

/** Every import of a workspace's code: src/ (shipped) and its other folders (tests, scripts). */
export function workspaceImports(root: string, workspace: Workspace): FileImport[] {
  const base = join(root, workspace.folder);
  const folders = readdirSync(base).filter((entry) => !['node_modules', 'dist'].includes(entry) && !entry.startsWith('dist-') && lstatSync(join(base, entry)).isDirectory());
  return folders.flatMap((folder) =>
    codeFiles(join(base, folder)).flatMap((file) =>
      moduleImports(file, readFileSync(file, 'utf8')).map((found) => ({ ...found, file: relative(root, file), shipped: folder === 'src' })),
    ),
  );
}
