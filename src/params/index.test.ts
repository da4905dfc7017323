import { expect, it } from "vitest";
import * as params from "./index.ts";

it("exports exactly the documented API", () => {
  expect(Object.keys(params).sort()).toEqual([
    "ExpressionSyntaxError",
    "PRIOR_KINDS",
    "Parameter",
    "ParameterSet",
    "compileExpression",
    "compileLogPrior",
    "createFitSpace",
    "evaluateExpression",
    "freeVariables",
    "isRefSpec",
    "logPrior",
    "parameterFromSpec",
    "parameterToSpec",
    "parseExpression",
    "priorBounds",
    "resolveConstraints",
    "resolveSpec",
    "samplePrior",
    "validatePrior",
  ]);
});
