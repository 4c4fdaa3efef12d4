/** The shapes of Node's module resolve hooks, shared by reloadHooks.mjs and sharedPackageHooks.mjs. */
export interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
export interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}

/** Off-thread resolve hook (module.register). */
export type ResolveHook = (
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => Promise<ResolveResult>,
) => Promise<ResolveResult>;

/** In-thread resolve hook (module.registerHooks). */
export type ResolveSyncHook = (
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => ResolveResult,
) => ResolveResult;
