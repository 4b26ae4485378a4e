// The Function App's entry point (package.json `main` → dist/functions/index.js): every registration.
import './cdc-poller.function.js';
import './cdc-consumer.function.js';
import './landing-file.function.js';
import './pipeline.orchestrator.js';
import './pipeline.activities.js';
import './marts.function.js';
import './reconcile.function.js';
import './omop.function.js';
import './http.function.js';
import './keys.function.js';
import './data-api.function.js';
