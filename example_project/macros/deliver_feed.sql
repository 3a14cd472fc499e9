{#-
  The simulated loader, run as a post-hook of every seed (the seeds stand in for an EL tool).
  It stamps `_loaded_at` like Fivetran's `_fivetran_synced` (source freshness reads it), applies the
  shop week's inventory feed to products, and in the failure scenario delivers the upstream faults:
    - promos:   marketing's sheet arrives with discount 'ten' for one promo (stg_promos' cast errors);
    - products: a stock correction arrives as a negative inventory, and the feed is 2 days late;
    - events:   the web app starts sending a new event type, 'add_to_wishlist'.
-#}
{% macro deliver_feed() -%}
{%- set feed = this.identifier -%}
{%- set failure = greenery_scenario() == 'failure' -%}
alter table {{ this }} add column if not exists _loaded_at timestamptz;
{%- if feed == 'products' %}
update {{ this }} as p
set inventory = f.inventory
from read_csv(
    '{{ env_var("DBT_PROJECT_DIR", ".") }}/feeds/product_inventory_weekly.csv',
    header = true,
    columns = {'week': 'INTEGER', 'product_id': 'VARCHAR', 'inventory': 'INTEGER'}
) as f
where f.product_id = p.product_id and f.week = {{ shop_week() }};
{%- if failure %}
update {{ this }} set inventory = -3 where name = 'Bird of Paradise';
{%- endif %}
{%- elif feed == 'promos' and failure %}
update {{ this }} set discount = 'ten' where promo_id = 'synergy';
{%- elif feed == 'events' and failure %}
insert into {{ this }} (event_id, session_id, user_id, page_url, created_at, event_type, order_id, product_id)
select
    '00000000-0000-4000-8000-00000000feed', session_id, user_id, page_url,
    created_at + interval 1 minute, 'add_to_wishlist', null, product_id
from {{ this }}
where event_type = 'page_view'
order by created_at, event_id
limit 1;
{%- endif %}
update {{ this }}
set _loaded_at = now() - interval {{ "'2 days'" if (failure and feed == 'products') else "'10 minutes'" }};
{%- endmacro %}
