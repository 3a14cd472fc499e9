-- depends_on: {{ ref('addresses') }}
select
    address_id,
    address,
    lpad(cast(zipcode as varchar), 5, '0') as zipcode,
    state,
    country
from {{ source('greenery', 'addresses') }}
