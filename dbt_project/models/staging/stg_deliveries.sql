-- ops.deliveries: the delivery versions seen by the loader.
with source as (

    select * from {{ source('ops', 'deliveries') }}

),

renamed as (

    select
        load_id,
        delivery_date,
        status,
        total_rows,
        violation_count,
        processed_at,
        dbt_built_at
    from source

)

select * from renamed
