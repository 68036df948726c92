// Structure rules `npm run lint` enforces with dependency-cruiser (depcruise src test/localcloud).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules in src/ and in localcloud import each other in one direction only (type-only imports count too).',
      from: { path: '^(src|test/localcloud)/' },
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
    {
      name: 'localcloud-stands-alone',
      severity: 'error',
      comment:
        'localcloud simulates AWS and Octopus for any client: it never imports the actions (src/) or the ' +
        'other test folders, so it runs and ships on its own (npm run localcloud).',
      from: { path: '^test/localcloud/' },
      to: { path: '^(src/|test/(?!localcloud/))' },
    },
    {
      name: 'src-imports-no-test',
      severity: 'error',
      comment: 'The actions never import test code, localcloud included.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'octopus-apart-from-aws',
      severity: 'error',
      comment:
        "localcloud's Octopus (test/localcloud/octopus) and its AWS services (test/localcloud/aws) are " +
        'separate servers on one port: neither imports the other; index.ts and control.ts join them.',
      from: { path: '^test/localcloud/(octopus|aws)/' },
      to: { path: '^test/localcloud/(octopus|aws)/', pathNot: '^test/localcloud/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
