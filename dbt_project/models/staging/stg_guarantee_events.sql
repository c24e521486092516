-- 보증 원장 이벤트: typed and renamed; PII stops here (customer_key is an HMAC computed by the loader).
with source as (

    select * from {{ source('raw', 'guarantees') }}

),

renamed as (

    select
        event_id,
        event_date,
        event_type,
        guarantee_id,
        branch_code,
        program_code,
        customer_id,
        -- HMAC-SHA256 with a secret key, computed by the loader (include.ingest.customer_key): the
        -- secret never reaches the database, this view or compiled dbt
        customer_key,
        customer_name,                                  -- PII: staging only
        business_reg_no,                                -- PII: staging only
        bank_code,
        amount_krw::bigint                     as amount_krw,
        guarantee_ratio_pct::numeric(9, 4)     as guarantee_ratio_pct,
        fee_rate_pct::numeric(9, 4)            as fee_rate_pct,
        term_months::integer                   as term_months,
        maturity_date,
        -- ordering within a day: guarantees.csv first (1), then repayments.csv (2), in file order
        1                                      as file_order,
        line_no,
        delivery_date,
        load_id,
        loaded_at
    from source

)

select * from renamed
