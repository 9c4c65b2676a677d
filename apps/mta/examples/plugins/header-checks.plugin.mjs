// An example Elemta policy plugin, in plain JavaScript so it loads without a build step.
// It does what Postfix's header_checks does: each rule matches a header against a regular expression and rejects,
// quarantines or tags the message. Enable it in the YAML config:
//
//   policy:
//     plugins:
//       - name: header-checks
//         module: ./plugins/header-checks.plugin.mjs   # relative to the config file
//         config:
//           rules:
//             - { header: Subject, pattern: "(?i)lottery winner", action: reject, text: "Looks like spam" }
//             - { header: X-Mailer, pattern: "^MassMailer", action: quarantine }
//             - { header: Subject, pattern: "\\[External\\]", action: tag, tag: "X-Elemta-External: yes" }

const ACTIONS = new Set(['reject', 'quarantine', 'tag']);

/** Checks the config once, at start-up: a throw stops Elemta and names `policy.plugins.<i>.config`. */
const parseConfig = (raw) => {
  const rules = raw?.rules;
  if (!Array.isArray(rules) || rules.length === 0) throw new Error('rules: must be a non-empty list');
  return {
    rules: rules.map((rule, i) => {
      if (typeof rule?.header !== 'string' || rule.header === '') throw new Error(`rules.${i}.header: must be a header name`);
      if (!ACTIONS.has(rule.action)) throw new Error(`rules.${i}.action: must be reject, quarantine or tag`);
      const caseless = typeof rule.pattern === 'string' && rule.pattern.startsWith('(?i)');
      let pattern;
      try {
        pattern = new RegExp(caseless ? rule.pattern.slice(4) : rule.pattern, caseless ? 'i' : '');
      } catch (err) {
        throw new Error(`rules.${i}.pattern: ${err.message}`);
      }
      const [tagName, ...tagValue] = String(rule.tag ?? 'X-Elemta-Header-Check: matched').split(':');
      return {
        header: rule.header, pattern, action: rule.action, text: rule.text ?? 'Message content rejected',
        tag: { name: tagName.trim(), value: tagValue.join(':').trim() },
      };
    }),
  };
};

export default {
  name: 'header-checks',
  parseConfig,
  setup: ({ rules }, services) => ({
    // The data stage sees the whole message; `headers(name)` returns every unfolded value of a header.
    data: ({ args, log }) => {
      for (const rule of rules) {
        const value = args.message.headers(rule.header).find((v) => rule.pattern.test(v));
        if (value === undefined) continue;
        log.info({ header: rule.header, action: rule.action }, 'header check matched');
        const reason = `${rule.header} matches ${rule.pattern}`;
        if (rule.action === 'reject') return { kind: 'reject', code: 550, enhancedCode: '5.7.1', text: rule.text, reason };
        if (rule.action === 'quarantine') return { kind: 'quarantine', reason };
        return { kind: 'tag', headers: [rule.tag], reason };
      }
      return { kind: 'continue' };
    },
    close: () => services.log.debug({}, 'header-checks closed'),
  }),
};
