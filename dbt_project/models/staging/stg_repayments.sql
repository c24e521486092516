-- 상환·회수: loan principal repayments (guarantee balance) and claim movements (claims ledger).
with source as (

    select * from {{ source('raw', 'repayments') }}

),

renamed as (

    select
        repayment_id,
        repayment_date,
        kind,
        guarantee_id,
        guarantee_id                           as claim_id,   -- claim id = guarantee_id
        branch_code,
        amount_krw::bigint                     as amount_krw,
        2                                      as file_order,
        line_no,
        delivery_date,
        load_id,
        loaded_at
    from source

)

select * from renamed
