// SPDX-License-Identifier: GPL-2.0-or-later
// The handler tests/lambda-ric/run.sh runs under aws-lambda-ric: it answers with what the RIC's
// context says, logs its request id, and throws when asked to.
export const handler = async (event, context) => {
	if (event && event.fail) throw new TypeError("asked to fail");
	console.log("ran", context.awsRequestId);
	return {
		got: event,
		id: context.awsRequestId,
		fn: context.functionName,
		arn: context.invokedFunctionArn,
		left: context.getRemainingTimeInMillis(),
	};
};
