import { services, resetServices } from '../../functions/composition-root.js';
import { createApiKey, isWritableSecretStore } from '../application/use-cases/data-api/api-keys.use-case.js';
import { recordAudit } from '../application/use-cases/audit/audit-trail.js';
import { defaultDataApiCatalogue } from '../domain/data-api/data-api-projects.js';
import { InputError } from '../domain/errors.js';
import type { CliCommand } from './cli-io.js';
import { localActor, openLocalEnvironment } from './local-environment.js';

/**
 * `nhs-flows api-key create --client <name>`: a named key for the data API (docs/api.md). The key
 * is printed once, on stdout; the secret store (the local secrets file, or Key Vault) keeps only
 * its SHA-256, so a lost key is replaced by creating another (the old one stops working). Each
 * creation is audited (kind `api-key-create`: client, project, version; never the key).
 * `nhs-flows api-key list` names the declared clients, their project and rate limit.
 */
export const apiKeyCommand: CliCommand = {
  name: 'api-key',
  summary: 'create a data API key for a declared client (printed once, stored hashed), or list the clients',
  usage: 'nhs-flows api-key create --client <name>   |   nhs-flows api-key list',
  options: {
    client: { type: 'string', description: 'the declared API client the key is for' },
  },
  run: async (args, io) => {
    const [action] = args.positionals;
    const catalogue = defaultDataApiCatalogue();
    if (action === 'list') {
      for (const c of catalogue.clients.values())
        io.out(`${c.name}  project ${c.project}  ${c.rateLimitPerMinute} requests/minute`);
      return 0;
    }
    if (action !== 'create') {
      io.err(`nhs-flows api-key: expected create or list; received ${action ? `'${action}'` : 'nothing'}`);
      return 2;
    }
    const client = args.values.client;
    if (typeof client !== 'string' || client === '') {
      io.err(
        `nhs-flows api-key create: --client is required (declared: ${[...catalogue.clients.keys()].join(', ')})`,
      );
      return 2;
    }
    if (!catalogue.clients.has(client)) {
      io.err(
        `nhs-flows api-key create: '${client}' is not a declared data API client (declared: ${[...catalogue.clients.keys()].join(', ')})`,
      );
      return 2;
    }
    const env = await openLocalEnvironment();
    try {
      const { pipeline } = await services();
      if (!isWritableSecretStore(pipeline.secrets)) {
        io.err('nhs-flows api-key create: the secret store in use cannot be written');
        return 1;
      }
      try {
        const created = await createApiKey(client, {
          catalogue,
          secrets: pipeline.secrets,
          clock: pipeline.clock,
        });
        const audit = await recordAudit(
          {
            kind: 'api-key-create',
            actor: localActor(),
            outcome: 'done',
            reason: 'nhs-flows api-key create',
            details: { client: created.client, project: created.project, version: created.version },
          },
          pipeline,
        );
        io.err(
          `api key for ${created.client} (project ${created.project}) created, version ${created.version}, audit record ${audit.id}; it replaces any earlier key of the client and is shown once:`,
        );
        io.out(created.key);
        return 0;
      } catch (error) {
        if (error instanceof InputError) {
          io.err(`nhs-flows api-key create: ${error.message}`);
          return 2;
        }
        throw error;
      }
    } finally {
      try {
        await resetServices();
      } finally {
        await env.stop();
      }
    }
  },
};
