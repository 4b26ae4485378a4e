import type { Settings } from '../../../config/settings.schema.js';
import type { Clock } from '../../ports/clock.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { ObjectStore } from '../../ports/object-store.port.js';
import type { ParquetLake } from '../../ports/parquet-lake.port.js';
import type { SecretStore } from '../../ports/secret-store.port.js';
import type { StateStore } from '../../ports/state-store.port.js';
import type { Telemetry } from '../../ports/telemetry.port.js';
import type { Warehouse } from '../../ports/warehouse.port.js';
import type { MessageQueue } from '../../ports/message-queue.port.js';
import type { ReferenceData } from '../../../domain/reference/reference-data.js';
import type { ProjectKeyRing } from '../pseudonymise-keys.js';

/** What every pipeline activity may use; built once by the composition root. */
export interface PipelineDeps {
  readonly settings: Settings;
  readonly lake: ObjectStore;
  readonly state: StateStore;
  /** Parquet objects in the lake (reads, writes, keyed state runs, compaction). */
  readonly parquet: ParquetLake;
  readonly warehouse: () => Promise<Warehouse>;
  readonly secrets: SecretStore;
  /** Project pseudonymisation keys derived from the master key (never leaves this process). */
  readonly keys: ProjectKeyRing;
  readonly poisonQueue: MessageQueue;
  readonly reference: ReferenceData;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  /** Local scratch folder for the bronze streams of plan-chunks (set by the composition root). */
  readonly scratchDir: string;
}
