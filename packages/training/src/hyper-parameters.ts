export const modelTypes = ['LINEAR_REGRESSION', 'LOGISTIC_REGRESSION', 'MLP'] as const;
export type ModelType = (typeof modelTypes)[number];

export type HiddenActivation = 'relu' | 'tanh';

/** Everything gradient descent needs to know; all have defaults and bounds. */
export interface HyperParameters {
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** L2 penalty on weights (not biases). */
  l2: number;
  /** MLP only: units of each hidden layer. */
  hiddenUnits: number[];
  /** MLP only. */
  activation: HiddenActivation;
  /** Shuffling and initial weights: the same seed on the same data trains the same model. */
  seed: number;
}

export interface NumericBound {
  min: number;
  max: number;
  integer: boolean;
}

/** Bounds a submit is validated against (the jobs subgraph names the field that is out of bounds). */
export const hyperParameterBounds = {
  epochs: { min: 1, max: 2000, integer: true },
  learningRate: { min: 1e-6, max: 10, integer: false },
  batchSize: { min: 1, max: 65_536, integer: true },
  l2: { min: 0, max: 10, integer: false },
  seed: { min: 0, max: 2 ** 31 - 1, integer: true },
  hiddenUnit: { min: 1, max: 256, integer: true },
  hiddenLayers: { min: 1, max: 4, integer: true },
} as const satisfies Record<string, NumericBound>;

export const defaultHyperParameters: HyperParameters = {
  epochs: 100,
  learningRate: 0.05,
  batchSize: 32,
  l2: 0,
  hiddenUnits: [16],
  activation: 'relu',
  seed: 42,
};

export class HyperParameterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'HyperParameterError';
  }
}

function checkNumber(field: string, value: number, bound: NumericBound): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < bound.min || value > bound.max || (bound.integer && !Number.isInteger(value))) {
    throw new HyperParameterError(field, `${field} must be ${bound.integer ? 'an integer' : 'a number'} between ${bound.min} and ${bound.max}.`);
  }
  return value;
}

/** Fills defaults and checks bounds; throws HyperParameterError naming `hyperParameters.<field>`. */
export function resolveHyperParameters(modelType: ModelType, given: Partial<HyperParameters> | null | undefined): HyperParameters {
  const input = given ?? {};
  const field = (name: string) => `hyperParameters.${name}`;
  const pick = <K extends keyof HyperParameters>(name: K): HyperParameters[K] => (input[name] ?? defaultHyperParameters[name]) as HyperParameters[K];
  const resolved: HyperParameters = {
    epochs: checkNumber(field('epochs'), pick('epochs'), hyperParameterBounds.epochs),
    learningRate: checkNumber(field('learningRate'), pick('learningRate'), hyperParameterBounds.learningRate),
    batchSize: checkNumber(field('batchSize'), pick('batchSize'), hyperParameterBounds.batchSize),
    l2: checkNumber(field('l2'), pick('l2'), hyperParameterBounds.l2),
    seed: checkNumber(field('seed'), pick('seed'), hyperParameterBounds.seed),
    hiddenUnits: pick('hiddenUnits'),
    activation: pick('activation'),
  };
  // Layer settings of a model that has no hidden layers would be silently ignored: refused instead.
  for (const name of ['hiddenUnits', 'activation'] as const) {
    if (modelType !== 'MLP' && input[name] !== undefined && input[name] !== null) {
      throw new HyperParameterError(field(name), `${name} applies to MLP models only.`);
    }
  }
  if (!Array.isArray(resolved.hiddenUnits)) throw new HyperParameterError(field('hiddenUnits'), 'hiddenUnits must be a list of layer sizes.');
  const layers = hyperParameterBounds.hiddenLayers;
  if (resolved.hiddenUnits.length < layers.min || resolved.hiddenUnits.length > layers.max) {
    throw new HyperParameterError(field('hiddenUnits'), `${field('hiddenUnits')} must list between ${layers.min} and ${layers.max} hidden layers (units per layer); it lists ${resolved.hiddenUnits.length}.`);
  }
  resolved.hiddenUnits.forEach((units, index) => checkNumber(`${field('hiddenUnits')}[${index}]`, units, hyperParameterBounds.hiddenUnit));
  if (resolved.activation !== 'relu' && resolved.activation !== 'tanh') {
    throw new HyperParameterError(field('activation'), 'activation must be relu or tanh.');
  }
  return resolved;
}
