import type { ResolveHook, ResolveResult, ResolveSyncHook } from "./resolveHooks.d.mts";

/** `result` without tsx's namespace when it is an ES module inside node_modules. */
export declare function sharedPackage(result: ResolveResult): ResolveResult;

/** Off-thread resolve hook (module.register). */
export declare const resolve: ResolveHook;

/** In-thread resolve hook (module.registerHooks). */
export declare const resolveSync: ResolveSyncHook;
