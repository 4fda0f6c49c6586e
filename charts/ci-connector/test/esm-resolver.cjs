// kubernetes-models, @kubernetes-models/* and is-cidr (which their validator
// uses) publish ES modules only: their "exports" have an "import" condition and
// no "require". Resolve that condition for them alone (jest.config.cjs compiles
// them to CommonJS with the rest).
const ESM_ONLY = /^(kubernetes-models|@kubernetes-models\/[^/]+|is-cidr|cidr-regex)(\/|$)/;

module.exports = (request, options) =>
  options.defaultResolver(request, ESM_ONLY.test(request) ? { ...options, conditions: ['import', 'default'] } : options);
