-- PII (customer_name, business_reg_no) stops at staging: no intermediate or mart column exposes it.
select table_schema, table_name, column_name
from information_schema.columns
where table_schema in ('{{ generate_schema_name("intermediate", none) }}', '{{ generate_schema_name("marts", none) }}')
  and column_name in ('customer_name', 'business_reg_no')
