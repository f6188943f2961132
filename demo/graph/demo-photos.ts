// Two small photos for the demo's Microsoft contacts (96×96 JPEG, drawn for the demo, no
// one's likeness), so a newcomer sees a photo fetched on demand from "Demo Microsoft": the
// contact page links it, and /contacts/:id/photo serves it. Graph keeps contact photos as
// JPEG; these are kept as base64 here rather than as files, so the seed reads no disk.
import { Buffer } from 'node:buffer'

const jpeg = (lines: string[]) => new Uint8Array(Buffer.from(lines.join(''), 'base64'))

/** A head-and-shoulders silhouette on warm orange. */
export const ZOE_PHOTO = jpeg([
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAcFBQYFBAcGBgYIBwcICxILCwoKCxYPEA0SGhYbGhkWGRgcICgiHB4mHh',
  'gZIzAkJiorLS4tGyIyNTEsNSgsLSz/2wBDAQcICAsJCxULCxUsHRkdLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws',
  'LCwsLCwsLCwsLCwsLCwsLCwsLCwsLCz/wAARCABgAGADASIAAhEBAxEB/8QAGwABAQADAQEBAAAAAAAAAAAAAAMEBg',
  'cFCAH/xAA2EAABBAECAwUFBwQDAAAAAAABAAIDBBEFEgYhMQdBUWGBE0JScZEiIzIzobLBFHOi0bHC8P/EABoBAQAD',
  'AQEBAAAAAAAAAAAAAAACAwQBBQb/xAAfEQADAQACAgMBAAAAAAAAAAAAARECAyESQSIxMlH/2gAMAwEAAhEDEQA/AO',
  '0bk3Ke5Ny+ap70Kbk3Ke5NyUQpuTcp7k3JRCm5NynuTclEKbk3Ke5NyUQpuTcp7k3JRCe5NynlMqFLIU3JuU8r8fK2',
  'ONz3uDWNGSScADxSiFHysjY573hjGjJc44AC1XUO0zhug9zBbfbe04IrsLh6OOAfQrmnGvGtniO6+vBI6PTI3YjjHL',
  '2mPed/A7vmtUWjPF/SNO40e1Lhu44NkmnqEnA9vFy+rcgeq2yvagtwMnrzMmieMtexwc0/IhfMS93hbiu9wxfbJC90',
  'lV7vvoCfsvHiPA+aa4v4KfQm5NyxKN6DUaENys/fDOwPY7yKvlZyUKbk3KeUylEJ5TKnlMqFLIUytW7R9RdR4LstY4',
  'tfZc2AEeB5uHq0Eeq2XK1LtLpm3wZK9oJNaVk2AO7m0/o7Knh/JHGuji6Ii3lIREQHXOyXUHT8P2qT3F39LNloPutc',
  'M4+ocfVb7lc87JKZi0i/cII9vK1gyOoaOv1cfot/ysPJ+mXZXRTKZU8plV07CeUyp5TKhS2FMqdiGO1WkrzND4pWlj',
  '2nvBGCEymUpyHDOJ+GrPDmpuhka59Z5zDNjk8eB8x3heKvoa5UrahVdWtwMnhf1Y8ZC06/2W6XO9zqduepk8mnEjR8',
  's4P1K2Y51PkUvjfo5UvQ0XRbmu6iynTjLiT9t5H2Y2+JK6BT7KqEbgbmoT2ADnEbRGD8+q3LTdLpaRVFehWZBH1Ib1',
  'cfEnqT801zpfkLjfsppOnQaPpVehX/AC4G7QT1ce8nzJyVl5U8plY6XQplMqeUylOwnuTcp7k3KFLIU3LGv6lU0yq6',
  'xdsMgiHvOPXyA6k+QXmcScSVuHqHtZPvJ35EUQPNx8fIBcf1XV7us3HWbsxkefwt91g8AO4K/i4nvt/RVvaz0b9qfa',
  'lBG5zNMpOmxkCWY7R6NHMj1C1+x2kcQTflywV/7cQP7srVEWxcWF6M73pm0wdo3EMLsvsxT+UkTR+3C9zTe1Q5DdTo',
  'cu+Su7/qf9rnSI+LD9Bb0vZ3zS9aoazX9tQssmaPxAcnN+YPMLN3L59pXrOnWm2ak74JmdHNP6eY8l1vhLi6LiGsYp',
  'Q2K9EMvYOjh8Tf9dyycnC8dr6L8bWumbPuTcp7k3LPS6E9ynPZjrVpJ5XbY4ml7neAAyU3LV+0K86twyYWHBsyNjPP',
  'B283H/gD1TC8tJEtPxTZzrXNXm1vV5rs2QHHDG/AwdB/7vyvPRF66UUR5rd7CIi6AiIgCyKN2fTr0Nus/ZLC7c0/wf',
  'I9FjouA7tpWpxarpcF2Hk2ZucfCehHochZe5aH2Z3nPpXaTjyie2RuT8WQR/iPqt43LyeTPhpo9HD8spn/2Q==',
])

/** The same silhouette on blue. */
export const PRIYA_PHOTO = jpeg([
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAcFBQYFBAcGBgYIBwcICxILCwoKCxYPEA0SGhYbGhkWGRgcICgiHB4mHh',
  'gZIzAkJiorLS4tGyIyNTEsNSgsLSz/2wBDAQcICAsJCxULCxUsHRkdLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCws',
  'LCwsLCwsLCwsLCwsLCwsLCwsLCwsLCz/wAARCABgAGADASIAAhEBAxEB/8QAHAAAAgMAAwEAAAAAAAAAAAAAAAMEBg',
  'cBBQgC/8QANRAAAQQBAgMGAwUJAAAAAAAAAQACAxIEBREGMWEHIUFRcYETIqEjMpGxshQzQlJTYnPBwv/EABkBAQAD',
  'AQEAAAAAAAAAAAAAAAACAwQFAf/EAB4RAAMBAQACAwEAAAAAAAAAAAABEQIDEiExQVFx/9oADAMBAAIRAxEAPwDY7o',
  'ukXRddqHHo+6LpF0XSCj7oukXRdIKPui6RdF0go+6LpF0XSCj7oukXRdIKIsiyRdF1OFdH2RZIuuHStYwuc4Na0bkn',
  'wCQU5zM/G0/EflZmRHjwR97pJHVAVD1Ltm0fGkczAw8nOLeTztEx3pvufxCzrjbi/I4o1Z9Xubp8LiMeLkCP5yPM/T',
  'kqyoNl+cfpsuB21abM8NztMycUE7WjeJQOp+6fwBV90vWcDWsIZenZUeTCe6zD3g+RHMHoV5dXb8NcSZvDGrMzMRxL',
  'DsJYSdmyt8j18j4ImHj8PS9kWUHBz4dRwIMzHdaGdgkYehG6fdThRR9kWSLoukFE2RZR7IsrIQpIsq/x1muw+BtUkZ',
  'zdF8L2eQw/qXcWXXcQYB1bh3OwWgF80Lms3Pdbm36gLxr0ep+zzuhcvY6N7mPaWuadiCNiD5LhZzaCEIQG29lOY6fg',
  'lsTuWNO+Ieh2f/0VdLKqcBaa/SeDsSKVtJpt5njysdxv1rsrHZaMr0Y9P2yRZFlHsiy9hGibIskXRdThCj7IskXRdI',
  'KUPjfgJ+fkSappDAZ3m00AO1z4ub18x4+vPM54JsaZ0M8T4ZW9zmPaWuHqCvRF0nJxsbMZTJx4p2+UjA4fVV6534Ls',
  '9mlGeemMdI9rGNLnOOwaBuSVf+Dez6abIjz9ah+FAwhzMZ4+aQ/3DwHQ959OeiYuDhYIIxMSDHB/pRhn5KRdM8p8jX',
  'Zv0h9kWSLourIU0fZFki6LpBRF0XSLIsrIV0fdfMuRHBC6WWRscbBu5zjsAPMlRcrMhwsSTJyJBHFE0uc4+AWR8S8U',
  '5XEGURu6LDYfs4d+fV3mfy/Ovelkt54e2XTVu0zCxXui06B2Y8d3xHGjPbxP09VWcjtH1+b93Jj4/wDji3/VuqohZn',
  'vTNa5ZX0WnH7ReIITvJPDkdJIgP07Kw6V2oQSubHqmIYCe4ywmzfdvMD8VmqEW9I9fPL+jf8TOx87GbkYszJoncnsO',
  '4TrrDtC1/M0HNE2M8ujJ+0hJ+V4/0eq17S9Vx9X06PMxnExvHeDzafEHqtONrRk6c3j+HZ3RdIsiyshTRN0XUe6Lqc',
  'IUo/aHrTpJ49Kif8jAJJtjzP8ACD7d/uFR1N1nKOZreZkF1ryu2PTfYfQBQlz968tNnV558cpAhCFAmCEIQArTwHrT',
  'tP1j9jkf9hl/LsT3B/gffl7jyVWX1FI+GVksbi17HBzSPAjkpZfi6R1nyUN2ui6iQZAnx45W/dkaHD3C+7row5NP/9',
  'k=',
])
