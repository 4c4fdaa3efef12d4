import type { ResolveHook, ResolveSyncHook } from "./resolveHooks.d.mts";

/** Query parameter naming (base64url) the DAG folder whose modules get reloaded. */
export declare const ROOT_PARAM: "runnel-dag-root";
/** Query parameter whose value is unique per load. */
export declare const LOAD_PARAM: "runnel-dag-load";

/** The value of ROOT_PARAM for a folder (base64url of its absolute path). */
export declare function encodeRoot(root: string): string;

/** The URL a module resolved to `url`, imported from `parentURL`, should be loaded under. */
export declare function reloadUrl(url: string, parentURL: string | undefined): string;

/** Off-thread resolve hook (module.register). */
export declare const resolve: ResolveHook;

/** In-thread resolve hook (module.registerHooks). */
export declare const resolveSync: ResolveSyncHook;
