-- Reverts 012_functions: the functions, their versions, executions and secrets.
drop table if exists functions.secrets;
drop table if exists functions.edge_executions;
drop table if exists functions.edge_function_versions;
drop table if exists functions.edge_functions;
revoke usage on schema functions from fluxbase_authenticator;
