// SPDX-License-Identifier: GPL-2.0-or-later
// The handler tests/lambda-ric/run.sh runs under aws-lambda-ric: it answers with what the RIC's
// context says, logs its request id, throws when asked to, and logs then outlasts its timeout
// when asked to sleep.
export const handler = async (event, context) => {
	if (event && event.fail) throw new TypeError("asked to fail");
	if (event && event.sleep) {
		console.log("sleeping", context.awsRequestId);
		await new Promise((resolve) => setTimeout(resolve, 60000));
	}
	console.log("ran", context.awsRequestId);
	return {
		got: event,
		id: context.awsRequestId,
		fn: context.functionName,
		arn: context.invokedFunctionArn,
		left: context.getRemainingTimeInMillis(),
	};
};
