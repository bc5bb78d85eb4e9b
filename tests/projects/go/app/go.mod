module example.org/app

go 1.19

require example.org/tinymath v0.1.0
