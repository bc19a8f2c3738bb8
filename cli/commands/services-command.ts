import type { ServiceState } from '../../infra/local/services/managed-service.ts';
import { servicesDown, servicesStatus, servicesUp } from '../../infra/local/services/services-control.ts';
import { DEFAULT_SERVICES_DIR, realModeEnv, servicesLayout, type ServicesLayout } from '../../infra/local/services/services-layout.ts';
import { DEFAULT_DATABASE_URL, DEFAULT_KAFKA_BROKERS, DEFAULT_S3_ENDPOINT } from '../../shared/config.ts';
import { intOption, type Command, type OptionSpec, type ParsedOptions } from '../command.ts';

/**
 * `lk services up | down | status`: Kafka, S3Proxy and PostgreSQL as local processes that outlive
 * the command, on the addresses `--services real` uses by default (infra/local/services/).
 */

const defaultPort = (address: string) => new URL(address.includes('://') ? address : `kafka://${address}`).port;

const LAYOUT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  dir: { type: 'string', valueName: 'DIR', description: 'where the servers keep their data, logs and pid files. Env: LK_SERVICES_DIR', default: DEFAULT_SERVICES_DIR },
  'kafka-port': { type: 'string', valueName: 'N', description: 'Kafka broker port. Env: KAFKA_BROKERS (127.0.0.1:<port>)', default: defaultPort(DEFAULT_KAFKA_BROKERS) },
  'kafka-controller-port': { type: 'string', valueName: 'N', description: "the broker's KRaft controller port", default: 'Kafka port + 1' },
  's3-port': { type: 'string', valueName: 'N', description: 'S3Proxy port. Env: S3_ENDPOINT (http://127.0.0.1:<port>)', default: defaultPort(DEFAULT_S3_ENDPOINT) },
  'postgres-port': {
    type: 'string',
    valueName: 'N',
    description: 'PostgreSQL port: one already answering the login there is used as is, else a private cluster is made (initdb). Env: DATABASE_URL',
    default: defaultPort(DEFAULT_DATABASE_URL),
  },
};

const LAYOUT_NOTE = `Ports come from the flags, else KAFKA_BROKERS / S3_ENDPOINT / DATABASE_URL, else the ports the
last \`up\` used (remembered in <dir>/services.json), else the defaults of --services real.`;

const port = (options: ParsedOptions, name: string) => (options[name] === undefined ? undefined : intOption(options, name, 1, 65535));

function layoutOf(options: ParsedOptions): Promise<ServicesLayout> {
  return servicesLayout(process.env, {
    dir: options.dir as string | undefined,
    kafkaPort: port(options, 'kafka-port'),
    kafkaControllerPort: port(options, 'kafka-controller-port'),
    s3Port: port(options, 's3-port'),
    postgresPort: port(options, 'postgres-port'),
  });
}

/** One line of `status` / `up`, e.g. "kafka     running   127.0.0.1:9092  pid 1234, started by lk". */
function describe(name: string, s: ServiceState): string {
  const at = `127.0.0.1:${s.port}`;
  const what =
    s.kind === 'running'
      ? `running   ${at.padEnd(16)} ${s.owner === 'lk' ? `pid ${s.pid}, started by lk` : 'found: not started by lk (down leaves it alone)'}`
      : s.kind === 'starting'
        ? `starting  ${at.padEnd(16)} pid ${s.pid}, not answering yet`
        : s.kind === 'stopped'
          ? `stopped   ${at.padEnd(16)} free`
          : `port taken ${at.padEnd(15)} by ${s.holder}`;
  return `${name.padEnd(9)} ${what}`;
}

const upCommand: Command = {
  name: 'services up',
  summary: 'start Kafka, S3Proxy and PostgreSQL in the background (no Docker); waits until they answer',
  details: `
Starts Apache Kafka 3.9 (KRaft) and S3Proxy from their Maven Central jars (needs Java 17+, and Maven
the first time) and PostgreSQL: the one already answering on the port, else a private cluster
made with initdb/pg_ctl (Debian: apt-get install postgresql). They keep running after this
command, with their data under --dir; \`lk services down\` stops them. Already running: says so.

${LAYOUT_NOTE}

Example: lk services up && npm start -- --services real`,
  commonOptions: false,
  options: LAYOUT_OPTIONS,
  async run(options, env) {
    const layout = await layoutOf(options);
    const results = await servicesUp(layout, (m) => env.err(m));
    for (const r of results) env.out(`${describe(r.name, r.state)}${r.started ? '' : '  (already running)'}`);
    const vars = Object.entries(realModeEnv(layout, process.env)).map(([k, v]) => `${k}=${v}`);
    const prefix = vars.length > 0 ? `${vars.join(' ')} ` : '';
    env.out('');
    env.out(`Data under ${layout.dir}. Use them:  ${prefix}npm start -- --services real   (or any lk command with --services real)`);
    env.out(`Stop them:  lk services down${options.dir ? ` --dir ${String(options.dir)}` : ''}`);
    return 0;
  },
};

const downCommand: Command = {
  name: 'services down',
  summary: 'stop the servers `lk services up` started (SIGTERM, SIGKILL after a grace period); data is kept',
  details: `
Stops Kafka and S3Proxy (SIGTERM; SIGKILL if still running after 30 s and 10 s) and the private
PostgreSQL cluster (pg_ctl stop -m fast). A PostgreSQL that \`up\` found running is left alone.
The data stays under --dir for the next \`up\`; remove the directory to start afresh.`,
  commonOptions: false,
  options: LAYOUT_OPTIONS,
  async run(options, env) {
    const outcomes = await servicesDown(await layoutOf(options));
    for (const [name, outcome] of outcomes) env.out(`${name.padEnd(9)} ${outcome}`);
    return 0;
  },
};

const statusCommand: Command = {
  name: 'services status',
  summary: 'tell per server: running (pid, port, started by lk or found), stopped, or its port taken',
  details: LAYOUT_NOTE,
  commonOptions: false,
  options: { ...LAYOUT_OPTIONS, json: { type: 'boolean', description: 'print the states as JSON' } },
  async run(options, env) {
    const states = await servicesStatus(await layoutOf(options));
    if (options.json) env.out(JSON.stringify(Object.fromEntries(states)));
    else for (const [name, state] of states) env.out(describe(name, state));
    return 0;
  },
};

/** `lk services`: the parent of up, down and status. */
export const servicesCommand: Command = {
  name: 'services',
  summary: 'run Kafka, S3 and PostgreSQL locally without Docker: lk services up | down | status',
  commonOptions: false,
  options: {},
  subcommands: [upCommand, downCommand, statusCommand],
  async run(_options, env) {
    env.err('lk services: say which: up, down or status. Run `lk services --help`.');
    return 2;
  },
};
