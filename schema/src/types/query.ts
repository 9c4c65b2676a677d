import { builder } from '../builder.js';

// Root fields are added beside their types with `builder.queryField`.
builder.queryType({ description: 'Reads. Every field answers from the projected read models, which may lag the event log by milliseconds.' });
