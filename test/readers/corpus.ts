/**
 * The corpus (test/fixtures/templates/corpus, SOURCES.md there): real templates nobody here wrote,
 * what each needs (parameter values), and what portcullis says about it. `problems` are the exact
 * problems left with --allow-unenforced (handler code the upstream repository keeps beside the
 * template and that is not copied here, or what AWS itself would refuse); without them the template
 * is valid, is started, and every route is exercised.
 */
export interface CorpusEntry {
  overrides?: Record<string, string>;
  problems?: string[];
}

export const CORPUS: Record<string, CorpusEntry> = {
  'aws-samples__api-gateway-auth__template-all-auth.yaml': { overrides: { UserPoolId: 'us-east-1_Abc', Audience: 'client1', DomainName: 'api.example.com', HostedZoneId: 'Z1' } },
  'aws-samples__api-gateway-auth__template-auth0.yaml': {
    overrides: { IssuerUrl: 'https://issuer.example/', APIAudience: 'aud1' },
    problems: ['apis[0].authorizers.Auth0CustomAuthorizer.function.handler: handler module not found: CORPUS/auth0-custom-auth-lambda/index.js'],
  },
  'aws-samples__api-gateway-auth__template-cognito.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_cdk_template-cors-configs.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_cfn-http-api-with-swagger-body.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_lambda_authorizers_cfn-apigw-v1.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_lambda_authorizers_cfn-apigw-v2.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_lambda_authorizers_serverless-api-props.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_lambda_authorizers_serverless-http-props.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_lambda_authorizers_swagger-api.yaml': {},
  'aws__aws-sam-cli__tests_integration_testdata_start_api_lambda_authorizers_swagger-http.yaml': {},
  // AWS refuses this CORS configuration too (allowCredentials with a wildcard origin).
  'aws__aws-sam-cli__tests_integration_testdata_start_api_swagger-template-http-api.yaml': {
    problems: ['apis[0].cors.allowCredentials: cannot be true while allowOrigins contains "*" (browsers reject credentials with a wildcard origin)'],
  },
  'aws__aws-sam-cli__tests_integration_testdata_start_api_template-cors.yaml': {},
  'aws__serverless-application-model__examples_2016-10-31_api_cognito_auth_template.yaml': {
    problems: ['GET /', 'ANY /{proxy+}', 'GET /users', 'GET /users/{userId}', 'POST /users', 'DELETE /users/{userId}', 'PUT /users/{userId}'].map((k) => `apis[0].routes[${JSON.stringify(k)}].integration.handler: handler module not found: CORPUS/src/lambda.js`),
  },
  'aws__serverless-application-model__examples_2016-10-31_api_gateway_responses_template.yaml': {},
  'aws__serverless-application-model__examples_2016-10-31_api_lambda_request_auth_template.yaml': {
    problems: [
      'apis[0].authorizers.MyLambdaRequestAuthorizer.function.handler: handler module not found: CORPUS/src/authorizer.js',
      'apis[0].routes["GET /"].integration.handler: handler module not found: CORPUS/src/index.js',
      'apis[0].routes["GET /users"].integration.handler: handler module not found: CORPUS/src/index.js',
    ],
  },
  'aws__serverless-application-model__examples_2016-10-31_http_api_cors_template.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_auth_all_maximum.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_auth_all_maximum_openapi_3.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_auth_all_minimum.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_cors_and_auth_no_preflight_auth.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_gateway_responses_all.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_gateway_responses_all_openapi_3.yaml': {},
  'aws__serverless-application-model__tests_translator_input_api_with_swagger_and_openapi_with_auth.yaml': {},
  'aws__serverless-application-model__tests_translator_input_http_api_custom_iam_auth.yaml': {},
  // The translator's test inputs name resources they do not define; CloudFormation would refuse them too.
  'aws__serverless-application-model__tests_translator_input_http_api_existing_openapi.yaml': {
    problems: ['Resources.MyApi.Properties.DefinitionBody.paths["/basic"].post.x-amazon-apigateway-integration.uri.Fn::Sub: no resource named DifferentFunction (known: HttpApiFunction, MyApi)'],
  },
  'aws__serverless-application-model__tests_translator_input_http_api_lambda_auth.yaml': {},
  'aws__serverless-application-model__tests_translator_input_http_api_lambda_auth_full.yaml': {
    problems: ['Resources.MyApi.Properties.Auth.Authorizers.LambdaAuth.FunctionInvokeRole.Fn::GetAtt: no resource named MyAuthFnRole (known: HttpApiFunction, MyAuthFn, MyApi)'],
  },
  'aws__serverless-application-model__tests_translator_input_http_api_multiple_authorizers.yaml': {},
  'aws__serverless-application-model__tests_translator_input_http_api_with_cors.yaml': {},
  'aws__serverless-application-model__tests_translator_input_implicit_http_api_auth_and_simple_case.yaml': {},
  'aws__serverless-application-model__tests_translator_output_api_with_auth_all_maximum_openapi_3.json': {},
  'aws__serverless-application-model__tests_translator_output_api_with_gateway_responses_all_openapi_3.json': {},
  'aws__serverless-application-model__tests_translator_output_http_api_lambda_auth.json': {},
  'aws__serverless-application-model__tests_translator_output_http_api_multiple_authorizers.json': {},
  'aws__serverless-application-model__tests_translator_output_http_api_with_cors.json': {},
  'awsdocs__amazon-api-gateway-developer-guide__cloudformation-templates_HTTP_http-api-with-logging.yaml': {},
  'awsdocs__amazon-api-gateway-developer-guide__cloudformation-templates_HTTP_http-with-cors.yaml': {},
  'awsdocs__amazon-api-gateway-developer-guide__cloudformation-templates_HTTP_http-with-jwt-auth.yaml': {},
};
