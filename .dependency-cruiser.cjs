// Structure rules `npm run lint` enforces with dependency-cruiser (depcruise src).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules in src/ import each other in one direction only (type-only imports count too).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment:
        'src/core is what every action is built on: it imports only src/core, node and npm packages ' +
        '(the AWS clients reach ActionContext by declaration merging in src/aws/clients.ts).',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'aws-imports-no-capability',
      severity: 'error',
      comment: 'src/aws holds AWS access every capability shares; it never imports a capability folder.',
      from: { path: '^src/aws/' },
      to: { path: '^src/(bake|promote|roll|health|reap|retire|deploy|octopus|entry)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
