/** Query parameter naming (base64url) the DAG folder whose modules get reloaded. */
export declare const ROOT_PARAM: "runnel-dag-root";
/** Query parameter whose value is unique per load. */
export declare const LOAD_PARAM: "runnel-dag-load";

/** The value of ROOT_PARAM for a folder (base64url of its absolute path). */
export declare function encodeRoot(root: string): string;

/** The URL a module resolved to `url`, imported from `parentURL`, should be loaded under. */
export declare function reloadUrl(url: string, parentURL: string | undefined): string;

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
