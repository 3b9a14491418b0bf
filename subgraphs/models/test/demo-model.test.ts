import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { demoPredictQuery } from '../../../scripts/start/banner';
import { demoModelInput, demoModelName, ensureDemoModel } from '../../../scripts/start/demo-data';
import { predict } from './model-flow';

const species = ['setosa', 'versicolor', 'virginica'];
const irisRows: Array<[number[], string]> = [
  [[5.1, 3.5, 1.4, 0.2], 'setosa'],
  [[4.9, 3.0, 1.4, 0.2], 'setosa'],
  [[4.7, 3.2, 1.3, 0.2], 'setosa'],
  [[4.6, 3.1, 1.5, 0.2], 'setosa'],
  [[5.0, 3.6, 1.4, 0.2], 'setosa'],
  [[7.0, 3.2, 4.7, 1.4], 'versicolor'],
  [[6.4, 3.2, 4.5, 1.5], 'versicolor'],
  [[6.9, 3.1, 4.9, 1.5], 'versicolor'],
  [[5.5, 2.3, 4.0, 1.3], 'versicolor'],
  [[6.5, 2.8, 4.6, 1.5], 'versicolor'],
  [[6.3, 3.3, 6.0, 2.5], 'virginica'],
  [[5.8, 2.7, 5.1, 1.9], 'virginica'],
  [[7.1, 3.0, 5.9, 2.1], 'virginica'],
  [[6.3, 2.9, 5.6, 1.8], 'virginica'],
  [[6.5, 3.0, 5.8, 2.2], 'virginica'],
];

/** What `npm start` registers in acme, through the public flow, and the predict example its banner prints. */
describe('models: the demo model of npm start', () => {
  let stack: TestStack;
  let acme: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  it('registers once (idempotent), aliased production, and classifies the demo iris rows correctly', async () => {
    const scientist = await acme.token('data_scientist');
    expect(await ensureDemoModel(stack.graphqlUrl, scientist)).toEqual({ created: true, version: 1 });
    expect(await ensureDemoModel(stack.graphqlUrl, scientist)).toEqual({ created: false, version: 1 });
    const res = expectNoErrors(
      await predict(stack, await acme.token('viewer'), {
        modelName: demoModelName,
        alias: 'production',
        inputs: [{ name: demoModelInput, shape: [irisRows.length, 4], data: irisRows.flatMap(([row]) => row) }],
      }),
    );
    const scores = res.predict.outputs[0]!;
    expect(scores.shape).toEqual([irisRows.length, 3]);
    const predicted = irisRows.map((_, i) => {
      const row = scores.data.slice(3 * i, 3 * i + 3) as number[];
      return species[row.indexOf(Math.max(...row))];
    });
    expect(predicted).toEqual(irisRows.map(([, name]) => name));
  });

  it("the banner's predict example answers (as the viewer the banner uses)", async () => {
    const res = expectNoErrors(
      await stack.query<{ predict: { outputs: Array<{ name: string; shape: number[]; data: number[] }>; modelVersion: { number: number } } }>(
        await acme.token('viewer'),
        demoPredictQuery({ name: demoModelName, alias: 'production', inputName: demoModelInput }),
      ),
    );
    expect(res.predict.outputs[0]!.name).toBe('scores');
    expect(res.predict.outputs[0]!.shape).toEqual([1, 3]);
    const row = res.predict.outputs[0]!.data;
    expect(row.indexOf(Math.max(...row))).toBe(2); // virginica
  });
});
