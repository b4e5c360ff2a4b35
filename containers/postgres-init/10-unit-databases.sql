-- One database and one login role per unit, named as in shopdemo/units.py, as `shopdemo up`
-- makes them on its embedded server (shopdemo/postgres.py): each role owns its database, and
-- CONNECT is revoked from PUBLIC so that no unit's role can open another unit's database.
-- The postgres image runs this once, on an empty data volume (`docker compose down -v` resets).
-- The passwords are the ones in docker-compose.yml's DATABASE_URLs: demo values, not secrets.

CREATE ROLE monolith LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_monolith';
CREATE DATABASE monolith OWNER monolith;
REVOKE CONNECT ON DATABASE monolith FROM PUBLIC;
GRANT CONNECT ON DATABASE monolith TO monolith;

CREATE ROLE dist_order LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_dist_order';
CREATE DATABASE dist_order OWNER dist_order;
REVOKE CONNECT ON DATABASE dist_order FROM PUBLIC;
GRANT CONNECT ON DATABASE dist_order TO dist_order;

CREATE ROLE dist_inventory LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_dist_inventory';
CREATE DATABASE dist_inventory OWNER dist_inventory;
REVOKE CONNECT ON DATABASE dist_inventory FROM PUBLIC;
GRANT CONNECT ON DATABASE dist_inventory TO dist_inventory;

CREATE ROLE dist_payment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_dist_payment';
CREATE DATABASE dist_payment OWNER dist_payment;
REVOKE CONNECT ON DATABASE dist_payment FROM PUBLIC;
GRANT CONNECT ON DATABASE dist_payment TO dist_payment;

CREATE ROLE dist_fulfillment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_dist_fulfillment';
CREATE DATABASE dist_fulfillment OWNER dist_fulfillment;
REVOKE CONNECT ON DATABASE dist_fulfillment FROM PUBLIC;
GRANT CONNECT ON DATABASE dist_fulfillment TO dist_fulfillment;

CREATE ROLE dist_notification LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_dist_notification';
CREATE DATABASE dist_notification OWNER dist_notification;
REVOKE CONNECT ON DATABASE dist_notification FROM PUBLIC;
GRANT CONNECT ON DATABASE dist_notification TO dist_notification;

CREATE ROLE ev_order LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_ev_order';
CREATE DATABASE ev_order OWNER ev_order;
REVOKE CONNECT ON DATABASE ev_order FROM PUBLIC;
GRANT CONNECT ON DATABASE ev_order TO ev_order;

CREATE ROLE ev_inventory LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_ev_inventory';
CREATE DATABASE ev_inventory OWNER ev_inventory;
REVOKE CONNECT ON DATABASE ev_inventory FROM PUBLIC;
GRANT CONNECT ON DATABASE ev_inventory TO ev_inventory;

CREATE ROLE ev_payment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_ev_payment';
CREATE DATABASE ev_payment OWNER ev_payment;
REVOKE CONNECT ON DATABASE ev_payment FROM PUBLIC;
GRANT CONNECT ON DATABASE ev_payment TO ev_payment;

CREATE ROLE ev_fulfillment LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_ev_fulfillment';
CREATE DATABASE ev_fulfillment OWNER ev_fulfillment;
REVOKE CONNECT ON DATABASE ev_fulfillment FROM PUBLIC;
GRANT CONNECT ON DATABASE ev_fulfillment TO ev_fulfillment;

CREATE ROLE ev_notification LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'pw_ev_notification';
CREATE DATABASE ev_notification OWNER ev_notification;
REVOKE CONNECT ON DATABASE ev_notification FROM PUBLIC;
GRANT CONNECT ON DATABASE ev_notification TO ev_notification;
