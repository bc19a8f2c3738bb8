// Lint: typescript-eslint's recommended rules, plus the project's import rule (vendor libraries
// only in their adapter files, see docs/architecture.md).
import tseslint from 'typescript-eslint';

const vendorOwners = {
  kafkajs: ['infra/kafka/kafka-log.ts'],
  pg: ['infra/postgres/postgres-view-store.ts'],
  '@aws-sdk/client-s3': ['infra/s3/s3-object-store.ts'],
  '@aws-sdk/lib-storage': ['infra/s3/s3-object-store.ts'],
  '@duckdb/node-api': ['infra/duckdb/duckdb-database.ts'],
  fastify: ['serving/http-server.ts'],
  'node-cron': ['batch/batch-schedule.ts'],
  uplot: ['infra/uplot/chart-assets.ts'],
  'prom-client': ['infra/metrics/prometheus-metrics.ts'],
  testcontainers: ['infra/local/containers.ts'],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.cache/**', '.lk-data/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // A vendor library may be imported only by its adapter file; test/ and bench/ may use them directly.
  { files: ['**/*.ts'], ignores: ['test/**', 'bench/**'], rules: { 'no-restricted-imports': ['error', { paths: restrictedExcept(null) }] } },
  ...Object.values(vendorOwners)
    .flat()
    .map((file) => ({ files: [file], rules: { 'no-restricted-imports': ['error', { paths: restrictedExcept(file) }] } })),
);

function restrictedExcept(file) {
  return Object.entries(vendorOwners)
    .filter(([, owners]) => !owners.includes(file))
    .map(([name, owners]) => ({ name, message: `only ${owners.join(', ')} may import ${name}` }));
}
