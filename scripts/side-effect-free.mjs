// An esbuild plugin that lets the bundler drop packages nothing calls into, even though their
// package.json does not say they are free of side effects.

/**
 * @actions/http-client only declares classes and constants at its top level, but it imports
 * undici (about 420 KiB) and @actions/core imports it for getIDToken, which no action calls.
 * Marked side-effect free, it (and undici) leave every bundle until some code really uses it.
 */
const PACKAGES = /^@actions\/http-client(\/|$)/;

export const sideEffectFree = {
  name: 'side-effect-free',
  setup(build) {
    build.onResolve({ filter: PACKAGES }, async (args) => {
      if (args.pluginData === 'side-effect-free') return undefined;
      const r = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'side-effect-free',
      });
      if (r.errors.length) return { errors: r.errors };
      return { ...r, sideEffects: false };
    });
  },
};
