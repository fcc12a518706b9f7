-- One database per service, each owned by the service's own role: a service can create its
-- tables (the kit applies its migrations at start-up) and cannot even connect to another
-- service's database. Run once by the postgres image on an empty data directory
-- (/docker-entrypoint-initdb.d); the password comes from BATCHFLOW_DB_PASSWORD (psql 15+).
\set ON_ERROR_STOP on
\getenv service_password BATCHFLOW_DB_PASSWORD
\if :{?service_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'BATCHFLOW_DB_PASSWORD is not set'; END $$;
\endif

CREATE ROLE orders LOGIN PASSWORD :'service_password';
CREATE DATABASE orders OWNER orders;
REVOKE ALL ON DATABASE orders FROM PUBLIC;

CREATE ROLE inventory LOGIN PASSWORD :'service_password';
CREATE DATABASE inventory OWNER inventory;
REVOKE ALL ON DATABASE inventory FROM PUBLIC;

CREATE ROLE production LOGIN PASSWORD :'service_password';
CREATE DATABASE production OWNER production;
REVOKE ALL ON DATABASE production FROM PUBLIC;

CREATE ROLE shipping LOGIN PASSWORD :'service_password';
CREATE DATABASE shipping OWNER shipping;
REVOKE ALL ON DATABASE shipping FROM PUBLIC;

CREATE ROLE channels LOGIN PASSWORD :'service_password';
CREATE DATABASE channels OWNER channels;
REVOKE ALL ON DATABASE channels FROM PUBLIC;

CREATE ROLE purchasing LOGIN PASSWORD :'service_password';
CREATE DATABASE purchasing OWNER purchasing;
REVOKE ALL ON DATABASE purchasing FROM PUBLIC;
