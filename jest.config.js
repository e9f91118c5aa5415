// Two projects: `unit` never needs an engine; `engine` drives the real Docker engine under gVisor.
// ESM throughout (chalk and execa are ESM-only), so jest runs with --experimental-vm-modules.
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], setupFiles: ['<rootDir>/test/unit/setup-env.ts'], globalSetup: '<rootDir>/test/unit/global-setup.cjs', globalTeardown: '<rootDir>/test/unit/global-teardown.cjs' },
    { ...common, displayName: 'engine', testMatch: ['<rootDir>/test/engine/**/*.test.ts'], slowTestThreshold: 60, globalSetup: '<rootDir>/test/engine/global-setup.cjs', globalTeardown: '<rootDir>/test/engine/global-teardown.cjs' },
  ],
};
