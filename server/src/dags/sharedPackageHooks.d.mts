interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}

/** `result` without tsx's namespace when it is an ES module inside node_modules. */
export declare function sharedPackage(result: ResolveResult): ResolveResult;

/** Off-thread resolve hook (module.register). */
export declare function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult>;

/** In-thread resolve hook (module.registerHooks). */
export declare function resolveSync(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context?: ResolveContext) => ResolveResult,
): ResolveResult;
