// ts-jest in ESM mode, as actions/typescript-action does it; two projects so CI can run them apart.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }] },
  testEnvironment: 'node',
};
export default {
  // A bound against a hang, not a speed check (bench/ measures speed): jest's 5 s default fails
  // simulated-clock tests when the machine is loaded, as a CI run beside other work showed. It is
  // a global option: jest-circus reads globalConfig.testTimeout, so inside `projects` it was ignored
  // and the 5 s default applied (an e2e run with workers side by side timed out at 5000 ms).
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/count-reporter.cjs'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      // The e2e tests run dist/: refuse one built from another src/.
      globalSetup: '<rootDir>/test/support/fresh-dist.mjs',
      testMatch: [
        '<rootDir>/test/e2e/**/*.test.ts',
        '<rootDir>/test/localcloud/**/*.test.ts',
        '<rootDir>/test/workflow/**/*.test.ts',
      ],
    },
  ],
};
